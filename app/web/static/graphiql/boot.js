// Boots GraphiQL from the page's JSON config (no inline script: the page runs under a
// strict Content-Security-Policy). Subscriptions go over graphql-transport-ws with
// GraphiQL's bundled graphql-ws client; the Headers tab is sent as connection_init payload.
//
// The config (app/web/graphiql.py) brings a tab per contract operation with example
// variables, and in development the demo sign-in: its buttons post to the service and
// put {"Authorization": "Bearer ..."} into the headers of every tab. Every word the page
// shows comes from the config.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var h = React.createElement;
  var fetcher = GraphiQL.createFetcher({
    url: config.url,
    subscriptionUrl: config.subscriptionUrl,
  });

  // `text` (a tab's headers, JSON or anything) with Authorization set to `value`.
  function withAuthorization(text, value) {
    var headers = {};
    try {
      var parsed = JSON.parse(text || "{}");
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        headers = parsed;
      }
    } catch (e) {
      headers = {};
    }
    Object.keys(headers).forEach(function (key) {
      if (key.toLowerCase() === "authorization") {
        delete headers[key];
      }
    });
    headers.Authorization = value;
    return JSON.stringify(headers, null, 2);
  }

  // Every tab's headers get the Authorization. GraphiQL keeps headers per tab and has no
  // "set all tabs" call: moveTab(tabs) replaces the tab list (and stores it), finding the
  // active tab by identity, so that one is updated in place from its live editors.
  function fillAuthorization(editor, value) {
    var active = editor.tabs[editor.activeTabIndex];
    var tabs = editor.tabs.map(function (tab) {
      if (tab === active) {
        return tab;
      }
      return Object.assign({}, tab, { headers: withAuthorization(tab.headers, value) });
    });
    if (editor.queryEditor) active.query = editor.queryEditor.getValue();
    if (editor.variableEditor) active.variables = editor.variableEditor.getValue();
    if (editor.responseEditor) active.response = editor.responseEditor.getValue();
    var current = editor.headerEditor ? editor.headerEditor.getValue() : active.headers;
    active.headers = withAuthorization(current, value);
    editor.moveTab(tabs);
  }

  function DemoSignIn() {
    var editor = GraphiQL.React.useEditorContext({ nonNull: true });
    var latest = React.useRef(editor);
    latest.current = editor;
    var state = React.useState({ busy: false, error: "", role: "" });
    var status = state[0];
    var setStatus = state[1];
    var demo = config.demoSignIn;

    function signIn(role) {
      setStatus({ busy: true, error: "", role: "" });
      fetch(demo.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ as: role }),
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok || !body.accessToken) {
              throw new Error(body.error || "HTTP " + response.status);
            }
            return body;
          });
        })
        .then(function (body) {
          fillAuthorization(latest.current, "Bearer " + body.accessToken);
          setStatus({ busy: false, error: "", role: role });
        })
        .catch(function (error) {
          setStatus({ busy: false, error: String(error.message || error), role: "" });
        });
    }

    var buttons = Object.keys(demo.labels).map(function (role) {
      return h(
        "button",
        {
          key: role,
          type: "button",
          // Pressed: the tabs' Authorization is this role's (until the next press).
          className:
            "graphiql-button psyline-demo-sign-in" + (status.role === role ? " psyline-demo-active" : ""),
          "aria-pressed": status.role === role,
          "data-role": role,
          disabled: status.busy,
          onClick: function () {
            signIn(role);
          },
        },
        demo.labels[role]
      );
    });
    if (status.error) {
      buttons.push(h("span", { key: "error", className: "psyline-demo-error", role: "alert" }, status.error));
    }
    return h("div", { className: "psyline-demo" }, buttons);
  }

  // GraphiQL 3 shows a first tab's variables only from the `variables` prop or storage,
  // not from defaultTabs: pass them on a first visit only (afterwards the stored tabs
  // are the user's, and GraphiQL ignores defaultTabs).
  var storedTabs = null;
  try {
    storedTabs = window.localStorage.getItem("graphiql:tabState");
  } catch (e) {
    storedTabs = null;
  }
  var props = {
    fetcher: fetcher,
    defaultTabs: config.tabs,
    defaultQuery: config.newTabQuery,
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: true,
  };
  if (storedTabs === null && config.tabs.length) {
    props.variables = config.tabs[0].variables;
  }
  var children = config.demoSignIn ? h(GraphiQL.Logo, null, h(DemoSignIn)) : null;
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(h(GraphiQL, props, children));
})();
