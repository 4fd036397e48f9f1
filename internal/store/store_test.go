package store_test

import (
	"testing"

	"github.com/porticohq/portico/internal/store/storetest"
)

func TestStore(t *testing.T) { storetest.Run(t) }
