/** The widget demo page: embeds widget.js for the channel in `?channel=`, as a site would. */
import './demo.css';

const channel = new URLSearchParams(location.search).get('channel');
if (channel) {
  const s = document.createElement('script');
  s.src = new URL('widget.js', document.baseURI).href;
  s.dataset.channel = channel;
  s.dataset.open = 'true';
  document.body.append(s);
} else {
  const p = document.createElement('p');
  p.textContent = 'Add ?channel=<livechat channel id> to the URL.';
  document.body.append(p);
}
