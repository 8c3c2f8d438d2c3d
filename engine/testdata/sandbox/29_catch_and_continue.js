export default function () { try { eval('1'); } catch (e) {} return 'escaped'; }
