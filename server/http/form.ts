import type { Request, Response } from 'express';
import { HttpError } from './errors';
import { isHtmx, wantsJson } from './negotiate';
import { InputError } from './validate';

/**
 * One way to show a refused form, on every page: the same page again with status 422, a summary
 * at the top of the form (views/partials/_form-errors.ejs), each message next to its field
 * (views/partials/_field-error.ejs) and what the person typed, except secrets.
 */

/** A form refused on this request: what to fix, field by field, and the text that was typed. */
export interface RefusedForm {
  name: string;
  message: string;
  fields: Record<string, string>;
  values: Record<string, string>;
}

export interface FormSpec {
  /** The <form> element's id: unique on its page. */
  name: string;
  /** Fields whose typed text is shown again. Never a secret: passwords and API keys are typed again. */
  keep: readonly string[];
  /** The field a refusal that names none is about (the picker's refusal of a connection is about `connection`). */
  mainField?: string;
  /** Refusals other than bad input shown on the form with their own status (sign-in: 401, 429). */
  alsoFor?: readonly number[];
  /** Renders the page the form is on; the status is set and res.locals.refusedForm holds the errors. */
  render: () => Promise<void> | void;
}

/**
 * Runs a form's change. Bad input (a schema's InputError, or any 422 from the change) renders the
 * form's page again with 422 and nothing changed; JSON clients get the error as it is
 * ({ error, message, fields }). An htmx request gets the same page with headers that swap in only
 * this form, in place, without a history entry.
 */
export async function handleForm(req: Request, res: Response, spec: FormSpec, change: () => Promise<void>): Promise<void> {
  try {
    await change();
  } catch (error) {
    const status = statusToShow(error, spec);
    if (status === null || wantsJson(req) || res.headersSent) throw error;
    const refusal = error as HttpError;
    const fields = refusal instanceof InputError ? { ...refusal.fields } : {};
    if (spec.mainField && Object.keys(fields).length === 0) fields[spec.mainField] = refusal.message;
    res.locals.refusedForm = {
      name: spec.name,
      message: refusal.message,
      fields,
      values: keptValues(req.body, spec.keep),
    } satisfies RefusedForm;
    res.status(status);
    if (isHtmx(req)) {
      const selector = `#${spec.name}`;
      res.set({ 'HX-Retarget': selector, 'HX-Reselect': selector, 'HX-Reswap': 'outerHTML ignoreTitle:true', 'HX-Push-Url': 'false' });
    }
    await spec.render();
  }
}

function statusToShow(error: unknown, spec: FormSpec): number | null {
  if (error instanceof InputError || (error instanceof HttpError && error.status === 422)) return 422;
  if (error instanceof HttpError && spec.alsoFor?.includes(error.status)) return error.status;
  return null;
}

function keptValues(body: unknown, keep: readonly string[]): Record<string, string> {
  const fields = (body ?? {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const name of keep) values[name] = typeof fields[name] === 'string' ? fields[name].slice(0, 2000) : '';
  return values;
}

/** What a template needs to draw one form: its id, the summary, and each field's value, message and ARIA. */
export interface FormView {
  id: string;
  refused: boolean;
  /** The summary's lines, each linked to its field when the field has an id on the page. */
  problems: { message: string; href: string | null }[];
  value(field: string): string;
  error(field: string): string | undefined;
  errorId(field: string): string;
  /** aria-invalid and aria-describedby for a field with a message (plus ids it is already described by). */
  attrs(field: string, describedBy?: string): string;
}

/**
 * For templates (res.locals.formState): `ids` maps each field name to its control's id. A form
 * other than the refused one on the same page shows no errors and no typed values.
 */
export function formView(refused: RefusedForm | undefined, name: string, ids: Record<string, string> = {}): FormView {
  const mine = refused?.name === name ? refused : undefined;
  const error = (field: string) => (mine && Object.hasOwn(mine.fields, field) ? mine.fields[field] : undefined);
  const errorId = (field: string) => `${ids[field] ?? `${name}-${field}`}-error`;
  const problems = !mine
    ? []
    : Object.keys(mine.fields).length === 0
      ? [{ message: mine.message, href: null }]
      : Object.entries(mine.fields).map(([field, message]) => ({ message, href: ids[field] ? `#${ids[field]}` : null }));
  return {
    id: name,
    refused: Boolean(mine),
    problems,
    value: (field) => (mine && Object.hasOwn(mine.values, field) ? mine.values[field]! : ''),
    error,
    errorId,
    attrs(field, describedBy) {
      if (!error(field)) return describedBy ? `aria-describedby="${escapeAttribute(describedBy)}"` : '';
      return `aria-invalid="true" aria-describedby="${escapeAttribute([errorId(field), describedBy].filter(Boolean).join(' '))}"`;
    },
  };
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
