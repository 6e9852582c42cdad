/* The ASP.NET WebForms client runtime, as much of it as the fr-ca portal uses (only its pages load it).
   __doPostBack(eventTarget, eventArgument) is what an AutoPostBack control's onchange calls: it posts
   the control's form back to the page's own URL (data-postback-url) with __EVENTTARGET naming the
   control, and the server answers with the whole page re-rendered. */
function __doPostBack(eventTarget, eventArgument) {
  "use strict";
  var control = document.getElementById(eventTarget);
  var form = control && control.form;
  if (!form || !form.dataset.postbackUrl) { return; }
  var target = form.querySelector("input[name=__EVENTTARGET]");
  if (target) { target.value = eventTarget; }
  form.action = form.dataset.postbackUrl;
  form.submit();
}
