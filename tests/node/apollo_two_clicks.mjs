// The two-click flow with Apollo Client v4 and its PersistedQueryLink (hashed queries by GET).
// Usage: node apollo_two_clicks.mjs <graphql url> <operations.json> <partner token> <slot id>
// Prints one JSON line: what it got and every HTTP request it made.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [url, opsFile, partnerToken, slotId] = process.argv.slice(2);
const ops = JSON.parse(readFileSync(opsFile, "utf8"));
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

const requests = [];
const recordingFetch = async (input, init = {}) => {
  const target = new URL(String(input));
  const response = await fetch(input, init);
  const body = await response.clone().text();
  requests.push({
    method: init.method || "GET",
    queryInUrl: target.searchParams.has("query"),
    queryInBody: typeof init.body === "string" && JSON.parse(init.body).query !== undefined,
    status: response.status,
    notFound: body.includes("PersistedQueryNotFound"),
  });
  return response;
};

let accessToken = null;
const auth = new ApolloLink((operation, forward) => {
  if (accessToken) {
    operation.setContext(({ headers = {} }) => ({
      headers: { ...headers, authorization: `Bearer ${accessToken}` },
    }));
  }
  return forward(operation);
});

function client() {
  return new ApolloClient({
    link: ApolloLink.from([
      auth,
      new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
      new HttpLink({ uri: url, fetch: recordingFetch }),
    ]),
    cache: new InMemoryCache(),
  });
}

const first = client();
const catalogue = await first.query({ query: gql(ops.Catalogue), variables: { first: 5 } });
const signedIn = await first.mutate({
  mutation: gql(ops.SignIn),
  variables: { token: partnerToken },
});
accessToken = signedIn.data.signInWithPartner.session.accessToken;
const booked = await first.mutate({
  mutation: gql(ops.BookSlot),
  variables: { slotId, idempotencyKey: `apollo-${Date.now()}` },
});
// Another install of the app: its first catalogue request is one hashed GET.
const second = client();
const again = await second.query({ query: gql(ops.Catalogue), variables: { first: 5 } });

console.log(
  JSON.stringify({
    cards: catalogue.data.psychologists.edges.length,
    cardsAgain: again.data.psychologists.edges.length,
    signInErrors: signedIn.data.signInWithPartner.errors,
    booking: booked.data.bookSlot.booking && booked.data.bookSlot.booking.status,
    bookingErrors: booked.data.bookSlot.errors,
    requests,
  }),
);
