package objstore

import (
	"bytes"
	"io"
)

// ReadUpTo reads r until EOF or n bytes, into a buffer that grows only as
// far as the data does: a backend deciding between a single-request upload
// and a multipart one reads the first part this way, so small objects cost
// small buffers. Reaching EOF is not an error.
func ReadUpTo(r io.Reader, n int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := io.CopyN(&buf, r, n)
	if err == io.EOF {
		err = nil
	}
	return buf.Bytes(), err
}
