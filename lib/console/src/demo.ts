/** The widget demo page: embeds widget.js for the channel in `?channel=`, as a site would. */
import './demo.css';

const channel = new URLSearchParams(location.search).get('channel');
if (channel) {
  const s = document.createElement('script');
  s.src = new URL('widget.js', document.baseURI).href;
  s.dataset.channel = channel;
  s.dataset.open = 'true';
  // `?pollMs=`: the widget's fallback poll interval (a test proves replies come over the socket, not the poll).
  const pollMs = new URLSearchParams(location.search).get('pollMs');
  if (pollMs) s.dataset.pollMs = pollMs;
  document.body.append(s);
} else {
  const p = document.createElement('p');
  p.textContent = 'Add ?channel=<livechat channel id> to the URL.';
  document.body.append(p);
}
