// The dialogs a workspace and its environments share: a name and description form (rename a
// workspace, create an environment) and a delete confirmation that may force it.

import { useState, type ReactNode } from "react";
import { Button, CheckboxField, ConfirmDialog, FormError, Modal, TextArea, TextField, useForm } from "../../components";

export interface NameAndDescription extends Record<string, unknown> {
  name: string;
  description: string;
}

/** A modal form of a name and a description; `save` sends it (its errors show in the form). */
export function NameDescriptionDialog({
  open,
  title,
  initial,
  nameHint,
  descriptionRows,
  submitLabel,
  onClose,
  save,
}: {
  open: boolean;
  title: string;
  initial: NameAndDescription;
  nameHint: string;
  descriptionRows: number;
  submitLabel: string;
  onClose: () => void;
  save: (values: NameAndDescription) => Promise<void>;
}) {
  const form = useForm<NameAndDescription>(initial);
  const close = () => {
    form.reset();
    onClose();
  };
  const onSubmit = form.submit(async (values) => {
    await save({ name: values.name.trim(), description: values.description });
    form.reset();
  });
  return (
    <Modal open={open} title={title} onClose={close}>
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField label="Name" autoComplete="off" required hint={nameHint} {...form.field("name")} />
        <TextArea label="Description" rows={descriptionRows} {...form.field("description")} />
        <FormError form={form} />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            {submitLabel}
          </Button>
          <Button onClick={close}>Cancel</Button>
        </div>
      </form>
    </Modal>
  );
}

/** Confirm a delete; `remove(force)` deletes, force: also what the object still holds. */
export function ForceDeleteDialog({
  open,
  title,
  confirmLabel,
  warning,
  forceLabel,
  forceHint,
  onClose,
  remove,
}: {
  open: boolean;
  title: string;
  confirmLabel: string;
  warning: ReactNode;
  forceLabel: string;
  forceHint: string;
  onClose: () => void;
  remove: (force: boolean) => Promise<void>;
}) {
  const [force, setForce] = useState(false);
  return (
    <ConfirmDialog
      open={open}
      title={title}
      confirmLabel={confirmLabel}
      onClose={() => {
        setForce(false);
        onClose();
      }}
      onConfirm={async () => {
        await remove(force);
        setForce(false);
      }}
    >
      <p>{warning}</p>
      <CheckboxField label={forceLabel} hint={forceHint} checked={force} onChange={(event) => setForce(event.target.checked)} />
    </ConfirmDialog>
  );
}
