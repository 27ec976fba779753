// Starts GraphiQL against the gateway's /query endpoint with a sample query for the demo data.
// Kept out of the HTML so the page's Content-Security-Policy needs no inline script.
(function () {
  var query = [
    '# The customer header for a caller, as the desktop asks.',
    '# Auth on? Headers: {"Authorization": "Bearer <key>"}',
    'query CustomerHeader($key: String!, $value: String!) {',
    '  customerHeader(identifier: {key: $key, value: $value}) {',
    '    name',
    '    badge',
    '    secondaryTrait { label formatted timeSince }',
    '    avatarUrl',
    '    otherMatches',
    '    profile { id status sources }',
    '  }',
    '}',
    '',
  ].join('\n');
  var variables = JSON.stringify({ key: 'phonenumber', value: '(415) 555-0100' }, null, 2);
  var fetcher = GraphiQL.createFetcher({ url: new URL('query', document.baseURI).href });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: query,
      query: query,
      variables: variables,
      defaultEditorToolsVisibility: 'variables',
      shouldPersistHeaders: false,
    })
  );
})();
