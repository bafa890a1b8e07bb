// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /policy-simulator/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function PolicySimulatorPage() {
  return <Placeholder title="Policy simulator" description="May this user do this action on this resource, and which statement decides?" />;
}
