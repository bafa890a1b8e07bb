// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /getting-started/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function GettingStartedPage() {
  return <Placeholder title="Getting started" description="From an empty gateway to a first workspace, environment, connection, resource and key." />;
}
