import { useState, type ReactNode } from "react";
import { Button } from "./Button";
import { ErrorBanner } from "./ErrorBanner";
import { Modal } from "./Modal";

/** Ask before something that cannot be undone; shows the API's error if it fails. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel = "Delete",
  danger = true,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel?: string;
  danger?: boolean;
  /** Runs on confirm; the dialog closes when it resolves, shows the error when it throws. */
  onConfirm: () => Promise<void> | void;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const close = () => {
    setError(null);
    onClose();
  };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      close();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={title}
      onClose={close}
      footer={
        <>
          <Button onClick={close} disabled={busy}>
            Cancel
          </Button>
          <Button variant={danger ? "danger" : "primary"} busy={busy} onClick={() => void confirm()}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      {error ? <ErrorBanner error={error} /> : null}
      {children}
    </Modal>
  );
}
