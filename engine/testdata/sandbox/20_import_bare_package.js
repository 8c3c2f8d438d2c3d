import leftPad from 'left-pad';
export default function () { return leftPad('x', 3); }
