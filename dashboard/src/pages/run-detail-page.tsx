export default function Page(props: { runId: string | undefined }) {
  return <p>run-detail-page {props.runId}</p>;
}
