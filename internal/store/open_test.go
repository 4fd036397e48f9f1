package store

import (
	"context"
	"strings"
	"testing"
)

// A PostgreSQL URL that does not parse is refused without repeating it:
// the password could be in it.
func TestOpen_UnparsableURLIsNotRepeated(t *testing.T) {
	_, err := Open(context.Background(), Config{DatabaseURL: "postgres:// password=s3cret host=db"})
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "cannot be parsed") {
		t.Fatalf("err = %v", err)
	}
}
