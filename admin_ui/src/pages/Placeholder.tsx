import type { ReactNode } from "react";
import { PageHeader } from "../components";

/** A page that is not built yet: its route exists so navigation and deep links work. The
 * page's owner replaces the module that renders this. */
export function Placeholder({ title, description, children }: { title: string; description: string; children?: ReactNode }) {
  return (
    <section className="page">
      <PageHeader title={title} description={description} />
      <div className="card placeholder" data-placeholder="true">
        <p>This page is on its way.</p>
        {children}
      </div>
    </section>
  );
}
