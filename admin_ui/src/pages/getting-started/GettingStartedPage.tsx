// Getting started: a wizard from an empty gateway to a first workspace, environment,
// connection, resource and API key, ending with snippets that call the gateway with that key.
//
// The choices so far live in the URL (?ws=&env=&connection=&resource=&step=), so a reload
// or a later visit resumes where the admin was; each step offers the objects that exist
// already, so an admin who set some up elsewhere continues from there. The key's secret
// lives only in this page's state: it is shown once.

import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import type { ApiKeyCreated } from "../../api/types";
import { PageHeader } from "../../components";
import { rememberScope } from "../../layout/scope";
import { ConnectionStep } from "./ConnectionStep";
import { KeyStep, TryIt } from "./KeyStep";
import { ResourceStep } from "./ResourceStep";
import { EnvironmentStep, WorkspaceStep } from "./TenancySteps";

const STEPS = [
  { id: "workspace", label: "Workspace", param: "ws" },
  { id: "environment", label: "Environment", param: "env" },
  { id: "connection", label: "Connection", param: "connection" },
  { id: "resource", label: "Resource", param: "resource" },
  { id: "key", label: "API key", param: null },
] as const;

type StepId = (typeof STEPS)[number]["id"];

const TOTAL = STEPS.length;

/** The step to show: the one asked for if everything before it is chosen, else the first
 * step whose choice is missing. */
function currentStep(params: URLSearchParams): StepId {
  const asked = params.get("step");
  for (const step of STEPS) {
    if (step.id === asked) return step.id;
    if (step.param && !params.get(step.param)) return step.id;
  }
  return "key";
}

function Stepper({
  current,
  params,
  done,
  onGo,
}: {
  current: StepId;
  params: URLSearchParams;
  done: boolean;
  onGo: (step: StepId) => void;
}) {
  const index = STEPS.findIndex((s) => s.id === current);
  return (
    <ol className="wizard-steps" aria-label="Steps">
      {STEPS.map((step, i) => {
        const value = step.param ? params.get(step.param) : null;
        const finished = done || i < index;
        const state = finished ? "done" : i === index ? "current" : "todo";
        const text = (
          <>
            <span className="wizard-step-number" aria-hidden="true">
              {finished ? "✓" : i + 1}
            </span>
            <span className="wizard-step-label">
              {step.label}
              {finished && value ? <span className="wizard-step-value">{value}</span> : null}
            </span>
          </>
        );
        return (
          <li key={step.id} className={`wizard-steps-item ${state}`} aria-current={state === "current" ? "step" : undefined}>
            {finished ? (
              <button type="button" className="wizard-step-link" onClick={() => onGo(step.id)} aria-label={`Back to ${step.label.toLowerCase()}${value ? `: ${value}` : ""}`}>
                {text}
              </button>
            ) : (
              <span className="wizard-step-link">{text}</span>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export default function GettingStartedPage() {
  const [params, setParams] = useSearchParams();
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const step = currentStep(params);
  const ws = params.get("ws") ?? "";
  const env = params.get("env") ?? "";
  const connection = params.get("connection") ?? "";
  const resource = params.get("resource") ?? "";
  const scope = { workspace: ws, environment: env };

  /** Go to `step` (the choices stay, so coming back shows them). */
  const go = (target: StepId) => {
    setCreated(null);
    const next = new URLSearchParams(params);
    next.set("step", target);
    setParams(next);
  };

  /** Record the choice of step `index` and move on; a different choice than before forgets
   * the choices after it (they belonged to the old one). */
  const choose = (index: number) => (value: string) => {
    const current = STEPS[index];
    const changed = current?.param ? params.get(current.param) !== value : false;
    const next = new URLSearchParams(params);
    if (current?.param) next.set(current.param, value);
    if (changed) {
      for (const later of STEPS.slice(index + 1)) if (later.param) next.delete(later.param);
    }
    const following = STEPS[index + 1];
    if (following) next.set("step", following.id);
    setParams(next);
  };

  const back = (index: number) => {
    const previous = STEPS[index - 1];
    return previous ? () => go(previous.id) : undefined;
  };

  const selectedFor = (index: number) => {
    const param = STEPS[index]?.param;
    return param ? params.get(param) : null;
  };

  let body;
  if (created) {
    body = <TryIt scope={scope} resource={resource} apiKey={created} onAnother={() => go("key")} />;
  } else if (step === "workspace") {
    body = <WorkspaceStep number={1} total={TOTAL} selected={selectedFor(0)} onDone={choose(0)} />;
  } else if (step === "environment") {
    body = (
      <EnvironmentStep key={ws} workspace={ws} number={2} total={TOTAL} selected={selectedFor(1)} onDone={choose(1)} onBack={back(1)} />
    );
  } else if (step === "connection") {
    body = (
      <ConnectionStep key={`${ws}/${env}`} scope={scope} number={3} total={TOTAL} selected={selectedFor(2)} onDone={choose(2)} onBack={back(2)} />
    );
  } else if (step === "resource") {
    body = (
      <ResourceStep
        key={`${ws}/${env}/${connection}`}
        scope={scope}
        connection={connection}
        number={4}
        total={TOTAL}
        selected={selectedFor(3)}
        onDone={choose(3)}
        onBack={back(3)}
      />
    );
  } else {
    body = (
      <KeyStep
        key={`${ws}/${env}/${resource}`}
        scope={scope}
        resource={resource}
        number={5}
        total={TOTAL}
        onCreated={(key) => {
          // The navigation offers this environment's pages from now on.
          rememberScope(scope);
          setCreated(key);
        }}
        onBack={() => go("resource")}
      />
    );
  }

  return (
    <section className="page getting-started">
      <PageHeader
        title="Getting started"
        description="From an empty gateway to an application calling a model through it: five steps, each checked by the gateway as you go."
      />
      <div className="wizard">
        <Stepper current={step} params={params} done={created !== null} onGo={go} />
        <div className="wizard-body">{body}</div>
      </div>
    </section>
  );
}
