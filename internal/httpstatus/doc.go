// Package httpstatus serves ralab's optional HTTP status endpoint:
// Prometheus metrics at /metrics, a JSON view of every served interface at
// /ra, the live observer reports at /report/<interface> (HTML for a
// browser, JSON or Markdown on request) and an index of them at /.
package httpstatus
