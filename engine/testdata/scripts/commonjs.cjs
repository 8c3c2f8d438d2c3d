// input: 2
// want: 4
module.exports = function (n) { return n * 2; };
