// error: RUNTIME_ERROR
// message: exports no handler
export const x = 1;
