// want: null
export default function () {}
