// Package server is rgunit serve: one process holds a database (the single
// writer) and answers many concurrent readers over HTTP, with a web
// gallery at / (plain HTML, CSS and JavaScript embedded in the binary).
//
// The JSON API answers in the shapes of the CLI's --json:
//
//	GET    /api/stats                       rgunit stats --json, plus model_attributes
//	GET    /api/items?offset=&limit=        {"items":[...], "offset", "limit", "total"}
//	GET    /api/items/{id}                  an item, its labels and predicted attributes
//	GET    /api/items/{id}/image            the stored PNG
//	DELETE /api/items/{id}                  {"removed":[id]}
//	GET    /api/query?id=N&to=ATTRS&k=K[&filter=Attr=+1]
//	POST   /api/query                       the same, with an upload in the multipart field image
//	GET    /api/query?to=ATTRS&k=K          items with the attributes: {"results":[...]}
//	POST   /api/translate                   multipart image or form id; to, k, samples, seed
//	POST   /api/ingest                      multipart files (repeated), optional labels
//
// Errors are {"error": "..."}: 4xx for bad input (an unknown attribute, a
// bad id, not an image, a body over the limit), 404 for an unknown item,
// 409 for a database that cannot answer yet (no items, no models), 500
// only for faults.
//
// Security: rgunit serve binds 127.0.0.1 unless told otherwise, and any
// other address needs a token ([CheckAddress]); with a token, every
// request carries "Authorization: Bearer TOKEN" (the gallery's page and
// images may pass ?token=), compared in constant time. Bodies are limited
// ([Options.MaxBody]); uploaded images over 100 megapixels are refused
// from their header; clients name items by id, never by a server path; no
// CORS headers unless [Options.CORSOrigin] is set.
package server
