import { ButtonLink, EmptyState } from "../components";

export default function NotFoundPage() {
  return (
    <section className="page">
      <EmptyState
        title="Page not found"
        action={
          <ButtonLink to="/" variant="primary">
            Go to the start page
          </ButtonLink>
        }
      >
        Nothing lives at this address. The link may be old, or the object was renamed.
      </EmptyState>
    </section>
  );
}
