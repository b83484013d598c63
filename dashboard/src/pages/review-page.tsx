export default function Page(props: { runId: string | undefined }) {
  return <p>review-page {props.runId}</p>;
}
