export default function Page() {
  return <p>admin-page</p>;
}
