import type { Request, Response } from 'express';
import { flash, setUpFlash, type FlashMessage } from '../../server/http/flash';

/** The flash middleware on a bare request with a session, as a page template would call it. */
function pageWith(messages: FlashMessage[]) {
  const req = { session: { flash: messages } } as unknown as Request;
  const res = { locals: {} as Record<string, (row?: string) => FlashMessage[]> } as unknown as Response;
  setUpFlash(req, res, () => {});
  const locals = res.locals as Record<string, (row?: string) => FlashMessage[]>;
  return {
    req,
    top: () => locals.takeFlash!(),
    row: (id: string) => locals.takeRowFlash!(id),
    leftover: () => locals.takeLeftoverFlash!(),
  };
}

describe('flash messages by row', () => {
  it('shows a message about a row in that row, the others at the top, each once, and none is lost', () => {
    const page = pageWith([
      { kind: 'success', text: 'Synced.' },
      { kind: 'success', text: 'Added Gmail.', row: 'integration-gmail' },
      { kind: 'info', text: 'About a row this page does not draw.', row: 'integration-gone' },
    ]);
    expect(page.top().map((m) => m.text)).toEqual(['Synced.']);
    expect(page.req.session.flash).toBeUndefined();
    expect(page.row('integration-gmail').map((m) => m.text)).toEqual(['Added Gmail.']);
    expect(page.row('integration-gmail')).toEqual([]);
    expect(page.row('integration-calculator')).toEqual([]);
    expect(page.leftover().map((m) => m.text)).toEqual(['About a row this page does not draw.']);
    expect(page.leftover()).toEqual([]);
  });

  it('stores the row with the message, and ignores a session whose row is not an element id', () => {
    const req = { session: {} } as unknown as Request;
    flash(req, 'success', 'Enabled Linear.', 'provider-linear');
    expect(req.session.flash).toEqual([{ kind: 'success', text: 'Enabled Linear.', row: 'provider-linear' }]);
    const tampered = pageWith([{ kind: 'success', text: 'x', row: '"><script>' }]);
    expect(tampered.top()).toEqual([]);
    expect(tampered.leftover()).toEqual([]);
  });
});
