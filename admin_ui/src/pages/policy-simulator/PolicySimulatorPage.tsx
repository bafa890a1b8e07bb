// The policy simulator: may user U do action A on resource R? The answer (ALLOW or DENY),
// the statement that decided (role and number, shown with the role's policy when the caller
// may read it) and the reason. Nothing is changed. The question is kept in the URL.

import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { api, isApiError, seg } from "../../api/client";
import type { Page, Role, SimulateRequest, SimulateResponse, User } from "../../api/types";
import { Button, ErrorBanner, FormError, PageHeader, TextField, useForm } from "../../components";
import { useApi } from "../../hooks/useApi";
import { Can, useCan } from "../../permissions/Permissions";
import { roleResource, userResource } from "../../permissions/resources";
import { StatementsTable } from "../roles/StatementsTable";
import { rolePath } from "../users/links";

export default function PolicySimulatorPage() {
  return (
    <section className="page">
      <PageHeader
        title="Policy simulator"
        description="Ask whether a user may do an action on a resource, and which statement decides. Nothing is changed."
      />
      <Can
        action="policy:simulate"
        resource={userResource()}
        fallback={<ErrorBanner error={new Error("You may not use the policy simulator (policy:simulate).")} />}
      >
        <Simulator />
      </Can>
    </section>
  );
}

interface Asked {
  question: SimulateRequest;
  answer: SimulateResponse;
}

function Simulator() {
  const [params, setParams] = useSearchParams();
  const mayListUsers = useCan("user:list", userResource());
  const users = useApi<Page<User>>(mayListUsers ? "/users" : null, { limit: 500 });
  const [asked, setAsked] = useState<Asked | null>(null);
  const form = useForm({
    user: params.get("user") ?? "",
    action: params.get("action") ?? "",
    resource: params.get("resource") ?? "",
  });
  const onSubmit = form.submit(async (values) => {
    setAsked(null);
    const question: SimulateRequest = { user: values.user.trim(), action: values.action.trim(), resource: values.resource.trim() };
    setParams(new URLSearchParams({ ...question }), { replace: true });
    try {
      const answer = await api.post<SimulateResponse>("/policies/simulate", question);
      setAsked({ question, answer });
    } catch (error) {
      // The user is the only thing the simulator looks up: a 404 is about that field.
      if (isApiError(error, 404)) form.setFieldError("user", error.message);
      else throw error;
    }
  });
  return (
    <>
      <form className="card form simulator-form" onSubmit={(event) => void onSubmit(event)} noValidate aria-label="Question">
        <TextField
          label="User"
          hint="Username, email or id."
          list="simulator-users"
          autoComplete="off"
          required
          {...form.field("user")}
        />
        <datalist id="simulator-users">
          {users.data?.items.map((user) => <option key={user.id} value={user.username} label={user.email} />)}
        </datalist>
        <TextField label="Action" hint="kind:verb, e.g. ai-connection:create or completion:execute." required {...form.field("action")} />
        <TextField
          label="Resource"
          hint="e.g. workspace:acme:environment:prod:ai-resource:chat, user:alice@example.com, role:auditor."
          required
          {...form.field("resource")}
        />
        <FormError form={form} />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Simulate
          </Button>
        </div>
      </form>
      {asked ? <Decision asked={asked} /> : null}
    </>
  );
}

function Decision({ asked }: { asked: Asked }) {
  const { question, answer } = asked;
  const allowed = answer.decision === "ALLOW";
  const statement = answer.statement;
  return (
    <section className={`card decision decision-${allowed ? "allow" : "deny"}`} aria-labelledby="decision-title" aria-live="polite">
      <h2 id="decision-title" className="decision-title">
        <span className={`decision-badge decision-badge-${allowed ? "allow" : "deny"}`}>{answer.decision}</span>
        <span className="visually-hidden">: </span>
        <span className="decision-question">
          {question.user} {allowed ? "may" : "may not"} <code>{question.action}</code> on <code>{question.resource}</code>
        </span>
      </h2>
      <dl className="details">
        <dt>Decided by</dt>
        <dd>
          {statement ? (
            <>
              Statement {statement.index + 1} ({statement.effect}) of role{" "}
              <Link to={rolePath(statement.role)}>{statement.role}</Link>{" "}
              <span className="muted">(statements[{statement.index}] in its policy)</span>
            </>
          ) : allowed ? (
            "a rule that is not a statement (workspace membership)"
          ) : (
            "no statement: nothing allows it (default deny)"
          )}
        </dd>
        <dt>Reason</dt>
        <dd>{answer.reason}</dd>
      </dl>
      {statement ? <DecidingStatement role={statement.role} index={statement.index} /> : null}
    </section>
  );
}

/** The role's policy with the deciding statement marked (when the caller may read the role). */
function DecidingStatement({ role, index }: { role: string; index: number }) {
  const mayRead = useCan("role:get", roleResource(role));
  const { data } = useApi<Role>(mayRead ? `/roles/${seg(role)}` : null);
  if (!data) return null;
  return (
    <div className="deciding-statement">
      <h3>Policy of {role}</h3>
      <StatementsTable statements={data.statements} highlight={index} />
    </div>
  );
}
