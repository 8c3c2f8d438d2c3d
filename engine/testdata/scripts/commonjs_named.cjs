// want: "ok"
exports.handler = () => "ok";
