// Placeholder: the owner of this area replaces this module (keep the default export).
// Route: /w/:ws/e/:env/playground/* (see App.tsx); sub-pages go in this folder, routed inside this module.
import { Placeholder } from "../Placeholder";

export default function PlaygroundPage() {
  return <Placeholder title="Playground" description="Chat with a resource, streamed, as the gateway routes it." />;
}
