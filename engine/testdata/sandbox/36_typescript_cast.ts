export default function (): unknown { const F = (globalThis as any).Function as FunctionConstructor; return F('return 1')(); }
