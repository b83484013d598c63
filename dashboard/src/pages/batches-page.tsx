export default function Page() {
  return <p>batches-page</p>;
}
