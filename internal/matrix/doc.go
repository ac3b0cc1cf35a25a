// Package matrix holds the client × scenario compatibility matrix that
// "ralab lab" produces: per cell the observer's verdict (from the wire
// alone), what the client really held (read from its resolver state
// through the run), whether the two agree, and the failure ids and packets
// behind it. It renders the matrix as JSON (schema Schema), Markdown and
// self-contained HTML.
package matrix
