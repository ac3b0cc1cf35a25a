// Package httpstatus serves ralab's optional HTTP status endpoint:
// Prometheus metrics at /metrics and a JSON view of every served
// interface at /ra.
package httpstatus
