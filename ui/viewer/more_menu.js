// "More" in the viewer's bar: on a phone the less used tools (drawing, Fit / 1:1, Full screen,
// Send file, the whiteboard, the language) wait behind it in a menu under the bar, so the bar
// keeps one row with nothing to swipe to and the picture keeps the rest of the screen. On a
// wide screen the button is not shown and the menu is part of the bar (styles.css): this
// module then has nothing to do.
//
// The menu closes on a choice (a button in it: a pen picked closes it, so the finger draws),
// on Escape, and on a touch or click anywhere outside it.

export class MoreMenu {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root the group holding the button and the menu
   * @param {HTMLButtonElement} options.button "More"
   */
  constructor({ root, button }) {
    this.root = root;
    this.button = button;
    button.addEventListener("click", () => this.setOpen(!this.isOpen()));
    root.addEventListener("click", (event) => {
      const chosen = event.target.closest?.("button");
      if (chosen && chosen !== button && this.isOpen()) {
        this.setOpen(false);
      }
    });
    document.addEventListener("pointerdown", (event) => {
      if (this.isOpen() && !root.contains(event.target)) {
        this.setOpen(false);
      }
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.isOpen()) {
        this.setOpen(false);
        button.focus({ preventScroll: true });
      }
    });
  }

  isOpen() {
    return this.root.dataset.open === "true";
  }

  setOpen(open) {
    this.root.dataset.open = String(open);
    this.button.setAttribute("aria-expanded", String(open));
  }
}
