// The parts every step of the getting-started wizard shares: its frame (title, what it is
// for, Back/Continue) and the choice between an object that exists and a new one.

import { useId, type FormEvent, type ReactNode } from "react";
import { Button, Notice, SelectField, type FormState, type SelectOption } from "../../components";

export type Mode = "existing" | "new";

/** One step: a card with a heading, a line on what it is for, the fields and the buttons. */
export function StepFrame({
  number,
  total,
  title,
  intro,
  onSubmit,
  onBack,
  submitLabel = "Continue",
  busy = false,
  canSubmit = true,
  stuck = null,
  children,
}: {
  number: number;
  total: number;
  title: string;
  intro: ReactNode;
  onSubmit: (event: FormEvent) => void;
  onBack?: () => void;
  submitLabel?: string;
  busy?: boolean;
  /** False: there is nothing to continue with yet (permissions still loading, say). */
  canSubmit?: boolean;
  /** Said instead of the step when it cannot be done: nothing to choose, nothing may be made. */
  stuck?: ReactNode;
  children: ReactNode;
}) {
  const headingId = useId();
  return (
    <form className="form card wizard-step" onSubmit={onSubmit} noValidate aria-labelledby={headingId}>
      <p className="wizard-step-count">
        Step {number} of {total}
      </p>
      <h2 id={headingId}>{title}</h2>
      <div className="muted wizard-intro">{intro}</div>
      {stuck ? <Notice tone="warning">{stuck}</Notice> : children}
      <div className="form-actions">
        {canSubmit && !stuck ? (
          <Button type="submit" variant="primary" busy={busy}>
            {submitLabel}
          </Button>
        ) : null}
        {onBack ? <Button onClick={onBack}>Back</Button> : null}
      </div>
    </form>
  );
}

/** Use one that exists, or create a new one (shown only when both are possible). */
export function ModeChoice({
  mode,
  onChange,
  existingLabel,
  newLabel,
  legend,
}: {
  mode: Mode;
  onChange: (mode: Mode) => void;
  existingLabel: string;
  newLabel: string;
  legend: string;
}) {
  const name = useId();
  return (
    <fieldset className="mode-choice">
      <legend className="visually-hidden">{legend}</legend>
      <label className="checkbox-label">
        <input type="radio" name={name} checked={mode === "new"} onChange={() => onChange("new")} />
        {newLabel}
      </label>
      <label className="checkbox-label">
        <input type="radio" name={name} checked={mode === "existing"} onChange={() => onChange("existing")} />
        {existingLabel}
      </label>
    </fieldset>
  );
}

/** The choice of a step's object: new or existing (when both are possible), and which one. */
export function ExistingChoice<V extends Record<string, unknown> & { mode: Mode; existing: string }>({
  form,
  kind,
  label,
  options,
  mayCreate,
}: {
  form: FormState<V>;
  /** What the object is, in lower case: "connection". */
  kind: string;
  /** The label of the list of existing ones: "Connection". */
  label: string;
  options: SelectOption[];
  mayCreate: boolean;
}) {
  return (
    <>
      {options.length > 0 && mayCreate ? (
        <ModeChoice
          legend={`A new or an existing ${kind}`}
          mode={form.values.mode}
          onChange={(mode) => form.setValue("mode", mode as V["mode"])}
          newLabel={`Create a new ${kind}`}
          existingLabel={`Use an existing ${kind}`}
        />
      ) : null}
      {form.values.mode === "existing" ? <SelectField label={label} options={options} {...form.field("existing")} /> : null}
    </>
  );
}

/** The mode a step opens in: an existing object when there is one (resuming), else new. */
export function initialMode(existing: number, mayCreate: boolean): Mode {
  if (existing > 0) return "existing";
  return mayCreate ? "new" : "existing";
}
