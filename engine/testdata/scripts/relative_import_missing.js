// error: SYNTAX_ERROR
// message: cannot find "./missing"
import { x } from "./missing";
export default function () { return x; }
