// ejs ships no types for its CommonJS build; this declares the part server/app.ts uses.
declare module 'ejs' {
  interface RenderFileOptions {
    /** Where includes that start with '/' are found. */
    root?: string;
    cache?: boolean;
    /** Hand the data object to the template as it is instead of copying it first. */
    unsafePrototypeLocals?: boolean;
  }
  const ejs: {
    renderFile(file: string, data: object, options: RenderFileOptions, done: (error: Error | null, html?: string) => void): void;
  };
  export default ejs;
}
