test('builtin escape', () => {
  const mod = process.getBuiltinModule('node:module') as typeof import('node:module');
  const m = mod.createRequire(__filename)('@composio/core');
  expect(typeof m.Composio).toBe('function');
});
