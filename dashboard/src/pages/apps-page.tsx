export default function Page() {
  return <p>apps-page</p>;
}
