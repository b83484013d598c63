// @vitest-environment jsdom
/**
 * The review editor: failing fields highlighted with their alerts and focused first, values
 * edited in place, only changed values sent, and its keyboard (Enter, Alt+N/P, Alt+A).
 */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReviewFile, ReviewFileRequest } from '../../client/src/index.js';
import { correctionsOf } from '../../dashboard/src/review/corrections.js';
import { ReviewEditor } from '../../dashboard/src/review/review-editor.js';

afterEach(cleanup);

const field = (name: string, value: string, alerts: string[] = []) => ({
  field_name: name,
  value,
  type: 'TEXT',
  confidence: 0.9,
  validations: {
    valid: alerts.length === 0,
    alerts: alerts.map((msg) => ({ alert_level: 'error', msg, blocked: true, type: 'pattern' })),
  },
  edit_history: [],
});

const FILE: ReviewFile = {
  file_index: 3,
  original_file_name: 'bad.txt',
  reviewed: false,
  reviewed_by: null,
  reviewed_at_ms: null,
  documents: [
    {
      document_index: 0,
      class_name: 'Invoice',
      final_result_pass: false,
      failing_fields: ['invoice number'],
      fields: [
        field('vendor', 'Umbrella'),
        field('invoice number', 'X-12', ['invoice number must match the pattern /^INV-\\d+$/.']),
        field('total', '10'),
      ],
    },
    {
      document_index: 1,
      class_name: 'Receipt',
      final_result_pass: true,
      failing_fields: [],
      fields: [field('total', '3')],
    },
  ],
};

function setup() {
  const onSave = vi.fn<(b: ReviewFileRequest) => void>();
  const onNextFile = vi.fn<() => void>();
  const onPreviousFile = vi.fn<() => void>();
  render(
    <ReviewEditor
      file={FILE}
      onSave={onSave}
      onNextFile={onNextFile}
      onPreviousFile={onPreviousFile}
    />,
  );
  return { onSave, onNextFile, onPreviousFile };
}

describe('review editor', () => {
  it('highlights the failing field with its alert and focuses it first', () => {
    setup();
    const number = screen.getByLabelText('Value of invoice number');
    expect(document.activeElement).toBe(number);
    expect(number.getAttribute('aria-invalid')).toBe('true');
    expect(number.closest('tr')!.className).toContain('invalid');
    const described = document.getElementById(number.getAttribute('aria-describedby')!);
    expect(described!.textContent).toContain('must match the pattern');
    expect(screen.getByLabelText('Value of vendor').getAttribute('aria-invalid')).toBeNull();
  });

  it('Enter moves to the next field; Alt+A approves with only the changed values', () => {
    const { onSave } = setup();
    const number = screen.getByLabelText('Value of invoice number');
    fireEvent.change(number, { target: { value: 'INV-12' } });
    fireEvent.keyDown(number, { key: 'Enter' });
    const totals = screen.getAllByLabelText('Value of total');
    expect(document.activeElement).toBe(totals[0]);
    // The second document's total, changed too; the first's left as it was.
    fireEvent.change(totals[1]!, { target: { value: '4' } });
    fireEvent.keyDown(totals[1]!, { key: 'a', altKey: true });
    expect(onSave).toHaveBeenCalledTimes(1);
    expect(onSave.mock.calls[0]![0]).toEqual({
      corrections: [
        { document_index: 0, field_name: 'invoice number', value: 'INV-12' },
        { document_index: 1, field_name: 'total', value: '4' },
      ],
      reviewed: true,
    });
  });

  it('Save sends corrections without approving, and only once something changed; a value set back is no change', () => {
    const { onSave } = setup();
    const save = screen.getByRole('button', { name: 'Save corrections' });
    expect((save as HTMLButtonElement).disabled).toBe(true);
    const vendor = screen.getByLabelText('Value of vendor');
    fireEvent.change(vendor, { target: { value: 'Umbrella Corp' } });
    expect((save as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(save);
    expect(onSave.mock.calls[0]![0]).toEqual({
      corrections: [{ document_index: 0, field_name: 'vendor', value: 'Umbrella Corp' }],
    });
    fireEvent.change(vendor, { target: { value: 'Umbrella' } });
    expect((save as HTMLButtonElement).disabled).toBe(true);
    expect(correctionsOf(FILE, { '0:vendor': 'Umbrella', '9:nope': 'x' })).toEqual([]);
  });

  it('Alt+N and Alt+P go to the next and previous file; the Approve button approves', () => {
    const { onSave, onNextFile, onPreviousFile } = setup();
    const number = screen.getByLabelText('Value of invoice number');
    fireEvent.keyDown(number, { key: 'n', altKey: true });
    fireEvent.keyDown(number, { key: 'p', altKey: true });
    expect(onNextFile).toHaveBeenCalledTimes(1);
    expect(onPreviousFile).toHaveBeenCalledTimes(1);
    expect(onSave).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Approve file' }));
    expect(onSave.mock.calls[0]![0]).toEqual({ corrections: [], reviewed: true });
  });
});
