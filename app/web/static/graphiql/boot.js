// Boots GraphiQL from the page's JSON config (no inline script: the page runs under a
// strict Content-Security-Policy). Subscriptions go over graphql-transport-ws with
// GraphiQL's bundled graphql-ws client; the Headers tab is sent as connection_init payload.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var fetcher = GraphiQL.createFetcher({
    url: config.url,
    subscriptionUrl: config.subscriptionUrl,
  });
  // GraphiQL 3 takes the first tab's query from defaultQuery but its variables only
  // from the `variables` prop or storage: preload them on a first visit only.
  var storedVariables = null;
  try {
    storedVariables = window.localStorage.getItem("graphiql:variables");
  } catch (e) {
    storedVariables = null;
  }
  var props = {
    fetcher: fetcher,
    defaultQuery: config.defaultQuery,
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: false,
  };
  if (storedVariables === null) {
    props.variables = config.defaultVariables;
  }
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, props));
})();
