import secrets from '../../../../../etc/passwd';
export default function () { return secrets; }
