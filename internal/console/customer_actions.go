package console

import (
	"fmt"
	"net/http"

	"github.com/partnerportal/portal/internal/portal"
	"github.com/partnerportal/portal/internal/scan"
)

// The quick actions of the three-dot menu: suspend, resume, archive, scan now.

type customerAct int

const (
	actSuspend customerAct = iota
	actResume
	actArchive
	actScan
)

func (c *Console) customerAction(act customerAct) pageFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, cid := r.Context(), r.PathValue("id")
		back := within(r.PostFormValue("back"), custPath(cid))
		var (
			cu    portal.Customer
			err   error
			flash string
		)
		switch act {
		case actSuspend:
			if cu, err = c.s.Customers.Suspend(ctx, cid); err == nil {
				flash = cu.Name + " suspended."
			}
		case actResume:
			if cu, err = c.s.Customers.Resume(ctx, cid); err == nil {
				flash = cu.Name + " resumed."
			}
		case actArchive:
			if cu, err = c.s.Customers.Archive(ctx, cid); err == nil {
				flash = cu.Name + " archived."
			}
		case actScan:
			profile := scan.ProfileLight
			var sc portal.Scan
			if sc, err = c.s.Scans.Create(ctx, cid, portal.ScanInput{Profile: &profile, Targets: &portal.ScanTargets{All: true}}); err == nil {
				flash = fmt.Sprintf("Scan of %s queued (%s profile, all verified assets): %s.", c.customerName(r, cid), profile, sc.ID)
			}
		}
		if err != nil {
			// A refusal the customer's state explains (already archived,
			// nothing verified to scan, no license): back with the reason.
			if code := portal.ErrorCode(err); code == portal.ECONFLICT || code == portal.EINVALID {
				return redirect(w, r, back, fmt.Sprintf("%s: %s", actionFailed(act, c.customerName(r, cid)), portal.ErrorMessage(err)))
			}
			return err
		}
		return redirect(w, r, back, flash)
	}
}

// customerName names a customer in a message: its name, or its ID when it
// cannot be read.
func (c *Console) customerName(r *http.Request, id string) string {
	if cu, err := c.s.Customers.Get(r.Context(), id); err == nil {
		return cu.Name
	}
	return id
}

func actionFailed(act customerAct, name string) string {
	switch act {
	case actSuspend:
		return name + " was not suspended"
	case actResume:
		return name + " was not resumed"
	case actArchive:
		return name + " was not archived"
	}
	return name + " was not scanned"
}
