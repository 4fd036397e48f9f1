package apideck

import "testing"

func TestReplaceWord(t *testing.T) {
	for _, c := range []struct{ s, word, to, want string }{
		{"image must be a URL.", "image", "metadata.image", "metadata.image must be a URL."},
		{"consumer_metadata.image must be a URL.", "image", "metadata.image", "consumer_metadata.image must be a URL."},
		{"use the next_page_token; page_token is bad", "page_token", "cursor", "use the next_page_token; cursor is bad"},
		{"it must be an image.", "image", "picture", "it must be an picture."},
		{"no such word", "image", "picture", "no such word"},
	} {
		if got := replaceWord(c.s, c.word, c.to); got != c.want {
			t.Errorf("replaceWord(%q, %q) = %q, want %q", c.s, c.word, got, c.want)
		}
	}
}
