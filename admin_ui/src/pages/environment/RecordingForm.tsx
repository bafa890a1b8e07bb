// What an environment's request records keep of payloads, and which JSON paths they redact.

import { api, envPath } from "../../api/client";
import type { Environment, PayloadMode } from "../../api/types";
import { Button, FormError, SelectField, TextArea, useForm } from "../../components";
import type { Scope } from "../../layout/scope";
import { useSaved } from "./saved";

const PAYLOAD_OPTIONS: { value: PayloadMode; label: string }[] = [
  { value: "off", label: "Off: keep no payload" },
  { value: "metadata", label: "Metadata: parameters, message counts and roles, tool names; no text" },
  { value: "full", label: "Full: the request and the answer as sent" },
];

const linesOf = (text: string): string[] =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

export function RecordingForm({
  scope,
  payload,
  redactPaths,
  editable,
  onSaved,
}: {
  scope: Scope;
  payload: PayloadMode;
  redactPaths: string[];
  editable: boolean;
  onSaved: () => void;
}) {
  const form = useForm({ payload, redactPaths: redactPaths.join("\n") });
  const saved = useSaved(form.values);
  const onSubmit = form.submit(async (values) => {
    await api.patch<Environment>(envPath(scope.workspace, scope.environment), {
      recording: { payload: values.payload, redactPaths: linesOf(values.redactPaths) },
    });
    saved.show();
    onSaved();
  });
  // The API names `recording.payload` and `recording.redactPaths[2]`.
  const payloadError = form.errorFor("recording.payload");
  const pathsError = form.errorFor("recording.redactPaths");
  return (
    <form className="form card" onSubmit={onSubmit} noValidate aria-labelledby="environment-recording">
      <h2 id="environment-recording">Recording</h2>
      <p className="muted">
        Every request leaves a record (who, which resource and model, tokens, latency, errors). This says
        how much of the prompts and answers it keeps.
      </p>
      <SelectField
        label="Payloads"
        options={PAYLOAD_OPTIONS}
        disabled={!editable}
        {...form.field("payload")}
        error={payloadError}
      />
      <TextArea
        label="Redacted paths"
        rows={3}
        spellCheck={false}
        readOnly={!editable}
        placeholder={"request.messages[*].content\nrequest.metadata.email"}
        hint="One JSON path a line, from request or response; * or [*] matches any key or item. Credentials are always redacted."
        {...form.field("redactPaths")}
        error={pathsError}
      />
      <FormError form={form} />
      {editable ? (
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Save recording
          </Button>
          {saved.notice}
        </div>
      ) : null}
    </form>
  );
}
