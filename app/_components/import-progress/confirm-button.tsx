'use client';

import { useRef } from 'react';

const TONES = {
  neutral: 'border border-slate-300 bg-white text-slate-800 hover:bg-slate-50',
  primary: 'bg-slate-900 text-white hover:bg-slate-700',
  danger: 'bg-red-700 text-white hover:bg-red-600',
};

export function Button({
  tone = 'neutral',
  className = '',
  ...props
}: React.ButtonHTMLAttributes<HTMLButtonElement> & { tone?: keyof typeof TONES }) {
  return (
    <button
      type="button"
      {...props}
      className={`rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 disabled:cursor-not-allowed disabled:opacity-50 ${TONES[tone]} ${className}`}
    />
  );
}

/** A button that asks first, in a modal <dialog> (focus trapped, Escape closes it). */
export function ConfirmButton({
  label,
  title,
  body,
  confirm,
  dismiss,
  onConfirm,
  disabled,
  testId,
  tone = 'danger',
}: {
  /** `danger` (the default) for what undoes or drops; `primary` for what goes ahead. */
  tone?: 'danger' | 'primary';
  label: string;
  title: string;
  body: React.ReactNode;
  confirm: string;
  /** What the other button leaves as it is, e.g. "Don't cancel". */
  dismiss: string;
  onConfirm: () => void;
  disabled?: boolean;
  testId: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <Button tone={tone} disabled={disabled} onClick={() => dialog.current?.showModal()} data-testid={testId}>
        {label}
      </Button>
      <dialog
        ref={dialog}
        aria-labelledby={`${testId}-title`}
        className="m-auto max-w-md rounded-lg p-0 shadow-xl backdrop:bg-slate-900/40"
        data-testid={`${testId}-dialog`}
      >
        <form method="dialog" className="space-y-4 p-5">
          <h2 id={`${testId}-title`} className="text-lg font-semibold">
            {title}
          </h2>
          <div className="text-sm text-slate-600">{body}</div>
          <div className="flex justify-end gap-2">
            <Button autoFocus onClick={() => dialog.current?.close()} data-testid={`${testId}-dismiss`}>
              {dismiss}
            </Button>
            <Button
              tone={tone}
              onClick={() => {
                dialog.current?.close();
                onConfirm();
              }}
              data-testid={`${testId}-confirm`}
            >
              {confirm}
            </Button>
          </div>
        </form>
      </dialog>
    </>
  );
}
