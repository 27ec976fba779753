// Package graphiql serves GraphiQL with every asset embedded in the binary (GraphiQL's UMD
// build with React, pinned, with their licences), so the API explorer works in a contact
// center with no internet access. It opens with a sample customerHeader query for the demo.
package graphiql
