import { execSync } from 'node:child_process';
export default function () { return String(execSync('id')); }
