package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/partnerportal/portal/internal/httpapi"
	"github.com/partnerportal/portal/internal/portal"
)

// Sign-in, sign-out and accepting an invitation. Before a session exists
// the forms are protected by a double-submit token: a random value in a
// SameSite=Strict cookie that the form must repeat.
func (c *Console) signInRoutes() {
	c.mux.Handle("GET "+Base+"/sign-in", c.serve(c.signInPage))
	c.mux.Handle("POST "+Base+"/sign-in", c.serve(c.signIn))
	// Anyone signed in may sign out, also a customer user without access.
	c.mux.Handle("POST "+Base+"/sign-out", c.signedIn(c.signOut))
	c.mux.Handle("GET "+Base+"/invitation", c.serve(c.invitationPage))
	c.mux.Handle("POST "+Base+"/invitation", c.serve(c.acceptInvitation))
}

const preSessionCookie = "pp_form"

// preSessionToken returns the browser's pre-session form token, setting
// a new one when it has none.
func preSessionToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(preSessionCookie); err == nil && len(ck.Value) >= 32 {
		return ck.Value
	}
	var b [32]byte
	rand.Read(b[:])
	token := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: preSessionCookie, Value: token, Path: Base, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	return token
}

func validPreSession(r *http.Request) bool {
	ck, err := r.Cookie(preSessionCookie)
	return err == nil && len(ck.Value) >= 32 && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) == 1
}

// signInForm is the sign-in page's data.
type signInForm struct {
	Form
	Token string
	Next  string
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) error {
	f := signInForm{Form: Form{Values: url.Values{}}, Token: preSessionToken(w, r), Next: within(r.URL.Query().Get("next"), Base+"/")}
	return c.render(w, r, http.StatusOK, "sign_in", view{Title: "Sign in", Data: f})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) error {
	if !validPreSession(r) {
		return errCSRF
	}
	r.ParseForm()
	f := signInForm{Form: Form{Values: r.PostForm}, Token: preSessionToken(w, r), Next: within(r.PostFormValue("next"), Base+"/")}
	ns, err := c.s.Sessions.SignIn(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"))
	if err != nil {
		switch portal.ErrorCode(err) {
		case portal.EINVALID, portal.EUNAUTHORIZED, portal.ETOOMANY:
			if fe, ok := formError(err); ok {
				f.Errors = fe.Errors
			}
			f.Message = portal.ErrorMessage(err)
			return c.render(w, r, formStatus(err), "sign_in", view{Title: "Sign in", Data: f})
		}
		return err
	}
	w.Header().Add("Set-Cookie", httpapi.SessionCookie(ns))
	return redirect(w, r, f.Next, "")
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := c.s.Sessions.SignOut(r.Context()); err != nil {
		return err
	}
	w.Header().Add("Set-Cookie", httpapi.ExpiredSessionCookie())
	return redirect(w, r, Base+"/sign-in", "You are signed out.")
}

// invitationForm is the set-password page's data.
type invitationForm struct {
	Form
	Token string // the invitation's
	CSRF  string
	Email string
}

func (c *Console) invitationPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	u, err := c.s.Sessions.InvitedUser(r.Context(), token)
	if err != nil {
		return c.invitationInvalid(w, r, err)
	}
	f := invitationForm{Form: Form{Values: url.Values{}}, Token: token, CSRF: preSessionToken(w, r), Email: u.Email}
	return c.render(w, r, http.StatusOK, "invitation", view{Title: "Set your password", Data: f})
}

func (c *Console) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	if !validPreSession(r) {
		return errCSRF
	}
	token := r.PostFormValue("token")
	u, err := c.s.Sessions.InvitedUser(r.Context(), token)
	if err != nil {
		return c.invitationInvalid(w, r, err)
	}
	f := invitationForm{Form: Form{Values: r.PostForm, Errors: map[string]string{}}, Token: token, CSRF: preSessionToken(w, r), Email: u.Email}
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		f.Errors["confirm"] = "does not match the password"
		f.Message = "The two passwords differ."
		return c.render(w, r, http.StatusUnprocessableEntity, "invitation", view{Title: "Set your password", Data: f})
	}
	ns, err := c.s.Sessions.AcceptInvitation(r.Context(), token, r.PostFormValue("password"))
	if fe, ok := formError(err); ok && portal.ErrorCode(err) == portal.EINVALID {
		fe.Values = r.PostForm
		f.Form = fe
		return c.render(w, r, formStatus(err), "invitation", view{Title: "Set your password", Data: f})
	}
	if err != nil {
		return c.invitationInvalid(w, r, err)
	}
	w.Header().Add("Set-Cookie", httpapi.SessionCookie(ns))
	return redirect(w, r, Base+"/", "Your password is set. Welcome!")
}

// invitationInvalid explains an unusable invitation link (other errors
// go to the error page).
func (c *Console) invitationInvalid(w http.ResponseWriter, r *http.Request, err error) error {
	if portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		return err
	}
	return c.render(w, r, http.StatusGone, "error", view{Title: "Invitation link not valid", Data: portal.ErrorMessage(err) + ". Ask your administrator for a new invitation."})
}
