package server

import (
	"net/http"

	"github.com/kiln-run/kiln/ui"
)

// uiHandler serves the admin UI (package ui) at "/": every path that no
// other route takes. The app reaches the API under /api/ on the same
// origin, with the key the user signs in with.
func (a *App) uiHandler() http.Handler { return ui.Handler() }
