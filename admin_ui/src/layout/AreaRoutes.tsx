// The sub-pages of an environment area ("" list, "new", ":name", ":name/edit"), each given the
// scope from the URL and keyed on it, so switching environments starts each page afresh.

import type { ComponentType } from "react";
import { Route, Routes } from "react-router-dom";
import { useEnvironmentScope, type Scope } from "./scope";

type ScopedPage = ComponentType<{ scope: Scope }>;

export function EnvironmentAreaRoutes({
  list: List,
  create: Create,
  show: Show,
  edit: Edit,
}: {
  list: ScopedPage;
  create: ScopedPage;
  show: ScopedPage;
  edit: ScopedPage;
}) {
  const scope = useEnvironmentScope();
  const key = `${scope.workspace}/${scope.environment}`;
  return (
    <Routes>
      <Route index element={<List key={key} scope={scope} />} />
      <Route path="new" element={<Create key={key} scope={scope} />} />
      <Route path=":name" element={<Show key={key} scope={scope} />} />
      <Route path=":name/edit" element={<Edit key={key} scope={scope} />} />
    </Routes>
  );
}
