/** "1 assistant", "3 assistants": a count with its noun, for messages and pages alike. */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
