// ejs ships no types for its CommonJS build; this declares the part server/http/templates.ts uses.
declare module 'ejs' {
  interface RenderFileOptions {
    /** Where includes that start with '/' are found. */
    root?: string;
    cache?: boolean;
    /** Hand the data object to the template as it is instead of copying it first. */
    unsafePrototypeLocals?: boolean;
    /** false: no `with (locals)` around the template; names are read as `locals.name`. */
    _with?: boolean;
    /** false: no line tracking (a variable set before every line, a try/catch naming the line of an error). */
    compileDebug?: boolean;
    /** true: each line of template text is trimmed, and empty lines dropped (values are untouched). */
    rmWhitespace?: boolean;
  }
  interface TemplateOptions {
    filename: string;
    root: string;
    compileDebug: boolean;
    rmWhitespace: boolean;
    _with: boolean;
  }
  interface Template {
    compile(): unknown;
    /** After compile(): the body of the template's function, whose parameters are (locals, escapeFn, include, rethrow). */
    source: string;
  }
  const ejs: {
    Template: new (text: string, options: TemplateOptions) => Template;
    /** EJS's own escaping of `<%= %>` output. */
    escapeXML(value: unknown): string;
    renderFile(file: string, data: object, options: RenderFileOptions, done: (error: Error | null, html?: string) => void): void;
    /** How EJS reads a template file (the page's and each include's). */
    fileLoader: (file: string) => string | Buffer;
  };
  export default ejs;
}
